// Resampling, reorientation and cropping live here.
