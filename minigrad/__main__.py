"""``python -m minigrad`` runs the command line (see minigrad.cli)."""
from minigrad.cli import main

raise SystemExit(main())
