"""The whole stack on this machine, without Docker or AWS (`hookbridge dev`), and what drives it: its names
and ports, its announcement to other commands, the Lambda events it builds, the template it is built from,
the state it keeps across restarts, and the load run (`hookbridge load`)."""
