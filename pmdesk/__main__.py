"""`python -m pmdesk`: same as the `pmdesk` command."""

import sys

from pmdesk.launcher import main

sys.exit(main())
