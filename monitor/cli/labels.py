"""CLI command ``label``: a reviewer's answer about one mention, as the console's review queue
records it (``monitor.review.labels``): stored as training labels `crisiswatch train` reads."""

from __future__ import annotations

import click

from monitor.cli.common import Context, UserError, pass_ctx


def register(group: click.Group) -> None:
    group.add_command(label_cmd)


@click.command("label")
@click.argument("mention", type=int)
@click.option("--sentiment", default=None, help="positive, neutral or negative.")
@click.option("--category", default=None, help="A configured risk category, or none.")
@click.option("--intent", default=None, help="interaction, enquiry, complaint or other.")
@click.option("--confirm", is_flag=True, help="The machines' own values are right.")
@click.option("--by", "by", required=True, help="Who reviewed it (a person's id when people "
              "are configured).")
@pass_ctx
def label_cmd(obj: Context, mention: int, sentiment: str | None, category: str | None,
              intent: str | None, confirm: bool, by: str) -> None:
    """Correct or confirm MENTION's sentiment, category and intent (its id in `crisiswatch
    mentions`): stored as labels for `crisiswatch train`; the mention leaves the review queue."""
    from monitor.cli.incidents import person_by
    from monitor.review.labels import LabelError, MentionNotFound, confirm_mention, record_review

    given = {k: v for k, v in (("sentiment", sentiment), ("category", category),
                               ("intent", intent)) if v is not None}
    if confirm == bool(given):
        raise UserError("error: give --confirm, or at least one of --sentiment, --category, "
                        "--intent")
    with obj.app() as app:
        who = person_by(app.incidents, by)
        categories = app.incidents.categories
        now = app.pipeline.clock()
        try:
            with app.sessions.begin() as session:
                labels = (confirm_mention(session, mention_id=mention, by=who, now=now,
                                          categories=categories) if confirm else
                          record_review(session, mention_id=mention, values=given, by=who,
                                        now=now, categories=categories))
                stored = ", ".join(f"{lab.kind} {lab.value}" for lab in labels)
        except (LabelError, MentionNotFound) as exc:
            raise UserError(f"error: {exc}") from None
    click.echo(f"mention {mention}: {'confirmed' if confirm else 'labelled'} {stored} by {who}")
