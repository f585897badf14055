from scaffold.commands.cli import main

main()
