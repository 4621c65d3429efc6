"""Plotly figure builders: data in, figures out; pages only call st.plotly_chart."""
