"""Reply SLAs for individual messages: which mentions need a reply, by when, and the
replies recorded to them (by the CLI, a Slack button or an export column)."""
