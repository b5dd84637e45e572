"""On-call schedules: who a schedule puts on call at a moment (``rotation``, pure), the stored
overrides and shift swaps (``store``), the lookup escalation and the CLI share (``lookup``:
``on_call`` and ``oncall_lookup``) and the iCalendar export (``ical``)."""
