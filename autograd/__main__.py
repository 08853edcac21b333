from autograd.cli import main

raise SystemExit(main())
