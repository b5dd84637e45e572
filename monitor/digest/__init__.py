"""The weekly risk digest: figures from the store (SQL aggregates), charts, HTML/Markdown/JSON
documents and delivery to the configured channels.

Entry points: ``build_and_write_digest`` / ``send_digest`` (monitor.digest.run) for the CLI and
the service; ``build_digest`` (monitor.digest.figures) for the figures alone. Importing this
package loads nothing heavy: matplotlib, jieba and scikit-learn are imported on first use.
"""
