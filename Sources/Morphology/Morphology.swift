// Connected components, hole filling, distance transforms.
