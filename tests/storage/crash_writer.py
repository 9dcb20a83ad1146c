"""Writer process for the crash test: records sessions from several threads until killed.

Prints ``ack <session id>`` only after the transaction has committed, so every printed id
is an acknowledged write that must survive a SIGKILL.
Usage: crash_writer.py URL CLINIC_ID USER_ID PATIENT_ID THREADS
"""

from __future__ import annotations

import sys
import threading
from datetime import UTC, datetime

from filiform.core.concepts import Insertion, Laterality, NeedlingSession, Technique
from filiform.services.access.context import Actor, Role
from filiform.services.records import sessions
from filiform.storage.engine import make_engine, session_factory, transaction


def main() -> None:
    url, clinic, user, patient, threads = sys.argv[1:6]
    engine = make_engine(url, pool_size=int(threads) + 1)
    factory = session_factory(engine)
    actor = Actor(user_id=int(user), clinic_id=int(clinic), role=Role.CLINICIAN, client="crash")
    lock = threading.Lock()
    insertion = Insertion(
        target_id="upper_trapezius",
        side=Laterality.LEFT,
        technique=Technique.TRIGGER_POINT,
        needle_length_mm=30,
        needle_gauge_mm=0.25,
        depth_mm=12,
    )

    def loop() -> None:
        while True:
            with transaction(factory) as s:
                documented = NeedlingSession(
                    started_at=datetime.now(UTC), insertions=(insertion, insertion), pain_pre=5
                )
                row = sessions.record_session(s, actor=actor, patient_id=int(patient), documented=documented)
            with lock:
                sys.stdout.write(f"ack {row.id}\n")
                sys.stdout.flush()

    workers = [threading.Thread(target=loop, daemon=True) for _ in range(int(threads))]
    for w in workers:
        w.start()
    sys.stdout.write("ready\n")
    sys.stdout.flush()
    for w in workers:
        w.join()


if __name__ == "__main__":
    main()
