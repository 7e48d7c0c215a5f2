"""Sphinx configuration of graphseg's documentation.

Build (warnings are errors, as in CI), from the repository root:

    python -m sphinx -W --keep-going -b html docs docs/_build/html
    python -m sphinx -W --keep-going -b doctest docs docs/_build/doctest   # the examples

The API reference is generated at build time from each public module's ``__all__``
(``_ext/graphseg_apigen.py``); the notebooks are copied from ``notebooks/`` and rendered with their
committed outputs (never executed here).
"""
from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(DOCS / '_ext'))

import graphseg  # noqa: E402

project = 'graphseg'
author = 'graphseg contributors'
copyright = 'graphseg contributors, MIT licence'
version = release = graphseg.__version__

extensions = [
    'sphinx.ext.autodoc',
    'sphinx.ext.napoleon',
    'sphinx.ext.mathjax',
    'sphinx.ext.doctest',
    'myst_nb',
    'graphseg_apigen',
]

root_doc = 'index'
exclude_patterns = ['_build', 'Thumbs.db', '.DS_Store', '**.ipynb_checkpoints', 'jupyter_execute']
templates_path = []

# -- the API reference ------------------------------------------------------------------------
autodoc_default_options = {'member-order': 'bysource'}
autodoc_typehints = 'signature'
autodoc_typehints_format = 'short'
autodoc_class_signature = 'mixed'
autodoc_inherit_docstrings = False    # nn.Module's forward/extra_repr docstrings are not ours
autodoc_preserve_defaults = True      # show `ratio=1/64`, not `0.015625`
python_maximum_signature_line_length = 90
add_module_names = False
napoleon_google_docstring = True
napoleon_numpy_docstring = False
# `Shapes:` (PyG's section) holds a reST bullet list: shown as written, under its own heading
napoleon_custom_sections = ['Shapes']
napoleon_use_rtype = False

# -- notebooks and Markdown pages -------------------------------------------------------------
nb_execution_mode = 'off'             # rendered with their committed outputs
nb_output_stderr = 'show'
myst_enable_extensions = ['dollarmath', 'amsmath', 'colon_fence']
myst_heading_anchors = 3
suppress_warnings = ['mystnb.unknown_mime_type']


def _copy_notebooks():
    """notebooks/*.ipynb -> docs/tutorials/ (ignored by git), rewritten only when they changed."""
    dest = DOCS / 'tutorials'
    for nb in sorted((ROOT / 'notebooks').glob('*.ipynb')):
        target = dest / nb.name
        if not target.exists() or target.read_bytes() != nb.read_bytes():
            shutil.copyfile(nb, target)


_copy_notebooks()

# -- doctest ----------------------------------------------------------------------------------
# `python -m sphinx -b doctest` runs the `>>>` examples of the pages and of every docstring the
# reference includes; a docstring example imports what it uses (it does not run in its module).
doctest_global_setup = '''
import torch
torch.manual_seed(0)
'''

# -- math -------------------------------------------------------------------------------------
# MathJax 3 comes from its CDN (Sphinx's default). To read the pages offline, point
# GRAPHSEG_DOCS_MATHJAX at a local copy of MathJax 3's es5/tex-mml-chtml.js (the npm package
# `mathjax@3`); MathJax 2 does not typeset the Markdown pages (MyST configures MathJax 3).
if os.environ.get('GRAPHSEG_DOCS_MATHJAX'):
    mathjax_path = Path(os.environ['GRAPHSEG_DOCS_MATHJAX']).resolve().as_uri()

# -- HTML -------------------------------------------------------------------------------------
html_theme = 'furo'
html_title = f'graphseg {release}'
html_static_path = ['_static']
html_css_files = ['graphseg.css']
html_theme_options = {'navigation_with_keys': True}
html_show_sourcelink = False
