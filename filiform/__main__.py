"""``python -m filiform``: the same command line as the ``filiform`` script, for a checkout
or an environment whose script is not on the PATH."""

from filiform.cli.main import app

app(prog_name="filiform")
