"""The app's pages, one module each; ``ui/streamlit_app.py`` lists them in the navigation."""
