-- pgbench replay of one intake's writes in the round trips the application spends on them (bench/intake_http.py
-- runs it beside the HTTP measurement: `pgbench -n -f bench/intake_pgbench.sql -D agent=.. -D category=.. ...`).
-- 1: the day's number, autocommitted on its own (app/cases/numbers.py); the pgbench day is far from today's.
INSERT INTO case_number_counters (day, last_seq) VALUES ('2099-01-01', 1)
ON CONFLICT (day) DO UPDATE SET last_seq = case_number_counters.last_seq + 1 RETURNING last_seq \gset
-- 2..5: BEGIN, the case, its grams, events and outbox rows, COMMIT.
BEGIN;
INSERT INTO cases (case_no, case_type, channel, status, category_id, district_id, agency_id, address, description,
    reporter_name, reporter_phone, anonymous, wants_sms_reply, created_by_id, received_at, created_at, updated_at,
    assigned_at, search_text, version, sla_policy, sla_policy_version, sla_round, sla_started_at, ack_due_at,
    report_due_at, sla_stage, next_sla_check_at)
VALUES ('1880101-' || lpad(:last_seq::text, 6, '0'), 'dispatch', 'phone', 'assigned', :category, :district, :agency,
    '岡山區光復路19號', '市民表示，機車違規停放騎樓，已經一個禮拜，請儘快改善。', '黃先生', '+886970567252', false, true,
    :agent, now(), now(), now(), now(), '市民表示,機車違規停放騎樓,已經一個禮拜,請儘快改善。 岡山區光復路19號', 1,
    'dispatch', 1, 1, now(), now() + interval '1 hour', now() + interval '3 days', 'on_track', now() + interval '1 hour')
RETURNING id \gset case_
-- 4: its grams, its events and its outbox rows (two duty phones and the receipt, as for a police case) in one
-- statement, as app/cases/intake.py sends them on PostgreSQL:
-- every gram of the case's search text in one string, the rows as JSON arrays spread by json_to_recordset.
WITH grams AS (
    INSERT INTO case_search_grams (case_id, grams) VALUES (CAST(:case_id AS BIGINT), string_to_array('市 市民 民 民表 表 表示 示 機 機車 車 車違 違 違規 規 規停 停 停放 放 放騎 騎 騎樓 樓 已 已經 經 經一 一 一個 個 個禮 禮 禮拜 拜 請 請儘 儘 儘快 快 快改 改 改善 善 岡 岡山 山 山區 區 區光 光 光復 復 復路 路 路1 1 19 9 9號 號', ' '))
), events AS (
    INSERT INTO case_events (case_id, event_type, actor_id, occurred_at, recorded_at, payload, agency_id, left_agency_id)
    SELECT CAST(:case_id AS BIGINT), event_type, actor_id, occurred_at, recorded_at, payload, agency_id, left_agency_id
    FROM json_to_recordset(CAST('[{"event_type": "case_created", "actor_id": ' || :agent || ', "occurred_at": "' || now() || '", "recorded_at": "' || now() || '", "payload": {"actor": "bench-agent", "role": "agent", "case_no": "1880101-0001", "case_type": "dispatch", "channel": "phone", "category": "illegal_parking", "district": "gangshan", "received_at": "2099-01-01T00:00:00+00:00"}, "agency_id": ' || :agency || ', "left_agency_id": null}, {"event_type": "case_assigned", "actor_id": ' || :agent || ', "occurred_at": "' || now() || '", "recorded_at": "' || now() || '", "payload": {"actor": "bench-agent", "role": "agent", "agency": "police", "previous_agency": null, "reason": "rule"}, "agency_id": ' || :agency || ', "left_agency_id": null}]' AS JSON))
        AS r(event_type VARCHAR(40), actor_id INTEGER, occurred_at TIMESTAMP WITH TIME ZONE, recorded_at TIMESTAMP WITH TIME ZONE, payload JSON, agency_id INTEGER, left_agency_id INTEGER)
)
INSERT INTO notifications (case_id, kind, channel, recipient, recipient_name, body, next_attempt_at, status, attempts, created_at)
SELECT CAST(:case_id AS BIGINT), kind, channel, recipient, recipient_name, body, next_attempt_at, status, attempts, created_at
FROM json_to_recordset(CAST('[{"kind": "dispatch_sms", "channel": "sms", "recipient": "+886912345678", "recipient_name": "\u8b66\u5bdf\u5c40", "body": "\u30101999\u6d3e\u5de5\u3011 1880101-0001", "next_attempt_at": "' || now() || '", "status": "pending", "attempts": 0, "created_at": "' || now() || '"}, {"kind": "dispatch_sms", "channel": "sms", "recipient": "+886912345679", "recipient_name": "\u8b66\u5bdf\u5c40", "body": "\u30101999\u6d3e\u5de5\u3011 1880101-0001", "next_attempt_at": "' || now() || '", "status": "pending", "attempts": 0, "created_at": "' || now() || '"}, {"kind": "citizen_receipt", "channel": "sms", "recipient": "+886970567252", "recipient_name": null, "body": "\u3010\u9ad8\u96c4\u5e021999\u3011 1880101-0001", "next_attempt_at": "' || now() || '", "status": "pending", "attempts": 0, "created_at": "' || now() || '"}]' AS JSON))
    AS r(kind VARCHAR(30), channel VARCHAR(20), recipient VARCHAR(80), recipient_name VARCHAR(80), body TEXT, next_attempt_at TIMESTAMP WITH TIME ZONE, status VARCHAR(20), attempts INTEGER, created_at TIMESTAMP WITH TIME ZONE);
COMMIT;
