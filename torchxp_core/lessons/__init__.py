"""Live experiments for the lessons of the team's note, one module per lesson.

Each function runs the installed torch on the device it is given and returns data (numpy
arrays, pandas frames, small dataclasses); nothing here draws or imports streamlit. Error
texts are torch's own, caught with ``str(exc)``, never typed in.
"""
