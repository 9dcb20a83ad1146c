"""Command-line face of Filiform (Typer + Rich). Commands call services or the core only."""
