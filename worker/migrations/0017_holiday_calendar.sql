-- The company's working-day calendar (issue 13): per year, the days off (holidays) and the weekend
-- days worked to make up for them (调休上班), as domain::HolidayYear JSON, with who changed it
-- last and when. Admins replace a year at a time; working-day SLAs count on it, in the worker
-- and (synced with pulls) on every phone.
-- `revision` orders the changes: the calendar's version is MAX(revision), so a pull carries the
-- calendar to a device only when it holds an older one. Seeded with the shipped years
-- (domain::WorkCalendar::china(), checked equal by a worker test): 2026 as announced, 2027
-- provisional (statutory days only) until an admin enters the State Council's notice.
CREATE TABLE holiday_years (
    year INTEGER PRIMARY KEY CHECK (year BETWEEN 2000 AND 2100),
    doc TEXT NOT NULL,
    revision INTEGER NOT NULL,
    updated_by TEXT,
    updated_by_name TEXT,
    updated_at TEXT
);

INSERT INTO holiday_years (year, doc, revision) VALUES
    (2026, '{"year":2026,"holidays":["2026-01-01","2026-01-02","2026-01-03","2026-02-15","2026-02-16","2026-02-17","2026-02-18","2026-02-19","2026-02-20","2026-02-21","2026-02-22","2026-02-23","2026-04-04","2026-04-05","2026-04-06","2026-05-01","2026-05-02","2026-05-03","2026-05-04","2026-05-05","2026-06-19","2026-06-20","2026-06-21","2026-09-25","2026-09-26","2026-09-27","2026-10-01","2026-10-02","2026-10-03","2026-10-04","2026-10-05","2026-10-06","2026-10-07"],"workdays":["2026-01-04","2026-02-14","2026-02-28","2026-05-09","2026-09-20","2026-10-10"],"provisional":false}', 1);
INSERT INTO holiday_years (year, doc, revision) VALUES
    (2027, '{"year":2027,"holidays":["2027-01-01","2027-02-05","2027-02-06","2027-02-07","2027-02-08","2027-04-05","2027-05-01","2027-05-02","2027-06-09","2027-09-15","2027-10-01","2027-10-02","2027-10-03"],"workdays":[],"provisional":true}', 1);
