"""The long-running service: scheduler, work queue, leader election, health, metrics, logs.

``monitor.service.runner.run_service`` puts the pieces together; the jobs it schedules are
registered in one place, ``monitor.service.jobs.build_jobs``.
"""
