"""The desktop application: main window, background jobs, settings."""
