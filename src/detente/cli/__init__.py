"""The ``detente`` command line (Typer). A thin shell over the capability packages."""
