"""Sphinx configuration (offline: ``sphinx-build -W -b html docs docs/_build/html``)."""

import os
import warnings

import sklearn_spectral

os.environ.setdefault("MPLBACKEND", "Agg")
warnings.filterwarnings(
    "ignore", category=UserWarning, message="Matplotlib is currently using agg"
)

project = "sklearn-spectral"
author = "sklearn-spectral developers"
release = version = sklearn_spectral.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
    "myst_parser",
]
source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
exclude_patterns = ["_build", "auto_examples/*.ipynb", "auto_examples/*.py"]
autosummary_generate = True
numpydoc_show_class_members = False
numpydoc_validation_checks = set()
html_theme = "pydata_sphinx_theme"
html_theme_options = {"navigation_with_keys": False}
html_title = "sklearn-spectral"

sphinx_gallery_conf = {
    "examples_dirs": "../examples",
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",
    "download_all_examples": False,
    "abort_on_example_error": True,
}
