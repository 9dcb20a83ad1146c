"""Patients taking part: links, proposed intakes, e-consent, home measures, reports, schedules.

Patient actions have no user account behind them: they are audited as the patient
(:func:`filiform.services.portal.links.audit_patient`), on the clinic's chain, with the
patient's id and the link's id, and never count as a clinician's answer.
"""
