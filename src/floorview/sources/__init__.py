"""Where feed records come from (../shared/DESIGN.md, Sources): each source
turns a platform's data into feed changes and hands them to the hub through a
`Sink` (base.py), with its resume point. A source knows nothing of HTTP
serving or tokens; the hub knows nothing of a platform."""
