// Segmentation metrics and statistics.
