import pytest
import torch


def pytest_configure(config):
    config.addinivalue_line("markers", "cuda: needs a CUDA GPU (skipped without one)")


@pytest.fixture
def cuda():
    if not torch.cuda.is_available():
        pytest.skip("CUDA is not available")
    return "cuda"
