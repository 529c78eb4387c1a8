"""Repeat: a self-hosted workbench that helps an online shop bring customers back.

Everything with logic lives in this package (import, metric SQL, models, evaluation,
A/B statistics, the CLI). It never imports streamlit: the app's pages are thin views over it.
"""

__version__ = "0.1.0"
