"""Qt item models that adapt model-layer rows for the views."""
