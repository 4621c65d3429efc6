"""Streamlit-side helpers shared by pages: widgets that own their state, and app-wide state."""
