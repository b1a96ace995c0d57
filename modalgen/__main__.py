from modalgen.cli import run

run()
