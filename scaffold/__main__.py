from scaffold.commands.cli import run

run()
