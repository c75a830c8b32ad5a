// Placeholder while the platform builder is written.
