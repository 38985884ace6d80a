"""The model as data: the layer table, the flat parameter vector and inference."""
