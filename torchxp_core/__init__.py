"""torchxp's core: data, models, losses, the training loop and the runner.

Nothing here imports streamlit; pages in ``pages/`` only arrange what this package returns.
"""
