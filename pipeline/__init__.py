"""Discovery, the ledger, the page task, the runners and progress."""
