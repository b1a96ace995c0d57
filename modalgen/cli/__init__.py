"""The commands: parse flags or ask (the wizard), call the stages, print, exit codes."""
