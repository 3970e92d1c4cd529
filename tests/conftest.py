import pytest
import torch

# Tiny matmuls are much slower with two threads than one on small CI machines.
torch.set_num_threads(1)


def pytest_configure(config):
    config.addinivalue_line("markers", "cuda: needs a CUDA GPU (skipped without one)")


@pytest.fixture
def cuda():
    if not torch.cuda.is_available():
        pytest.skip("CUDA is not available")
    return "cuda"
