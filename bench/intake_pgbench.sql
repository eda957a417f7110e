-- pgbench replay of one intake's writes in the round trips the application spends on them (bench/intake_http.py
-- runs it beside the HTTP measurement: `pgbench -n -f bench/intake_pgbench.sql -D agent=.. -D category=.. ...`).
-- 1: the day's number, autocommitted on its own (app/cases/numbers.py); the pgbench day is far from today's.
INSERT INTO case_number_counters (day, last_seq) VALUES ('2099-01-01', 1)
ON CONFLICT (day) DO UPDATE SET last_seq = case_number_counters.last_seq + 1 RETURNING last_seq \gset
-- 2..7: BEGIN, the case, its grams, its events, its outbox rows, COMMIT.
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
-- Every gram of the case's search text (app/cases/search.py), one string split as the app splits it.
INSERT INTO case_search_grams (case_id, grams) VALUES (:case_id, string_to_array('市 市民 民 民表 表 表示 示 機 機車 車 車違 違 違規 規 規停 停 停放 放 放騎 騎 騎樓 樓 已 已經 經 經一 一 一個 個 個禮 禮 禮拜 拜 請 請儘 儘 儘快 快 快改 改 改善 善 岡 岡山 山 山區 區 區光 光 光復 復 復路 路 路1 1 19 9 9號 號', ' '));
INSERT INTO case_events (case_id, event_type, actor_id, occurred_at, recorded_at, payload, agency_id) VALUES
    (:case_id, 'case_created', :agent, now(), now(), '{"actor": "bench-agent", "role": "agent", "case_no": "1880101-0001", "category": "illegal_parking"}', :agency),
    (:case_id, 'case_assigned', :agent, now(), now(), '{"actor": "bench-agent", "role": "agent", "agency": "police", "reason": "rule"}', :agency);
INSERT INTO notifications (case_id, channel, kind, recipient, recipient_name, body, status, attempts, next_attempt_at, created_at) VALUES
    (:case_id, 'sms', 'dispatch_sms', '+886912345678', '警察局', '【1999派工】1880101-0001 違規停車，岡山區光復路19號。', 'pending', 0, now(), now()),
    (:case_id, 'sms', 'citizen_receipt', '+886970567252', NULL, '【高雄市1999】您的案件已受理，編號 1880101-0001。', 'pending', 0, now(), now());
COMMIT;
