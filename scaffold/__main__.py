from scaffold.commands.program import run

run()
