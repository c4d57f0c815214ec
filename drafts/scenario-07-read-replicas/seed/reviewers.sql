-- One batch of deterministic reviewers: ids $1 to $2.
INSERT INTO reviewers (id, name)
SELECT g,
       (ARRAY['Ana', 'Ben', 'Chloe', 'Dmitri', 'Eva', 'Farid', 'Grace', 'Hugo', 'Ines', 'Jonas', 'Kaito', 'Lena',
              'Marta', 'Nils', 'Olga', 'Pedro'])[1 + (g * 7 % 16)::int] || ' ' || chr(65 + (g * 11 % 26)::int) || '.'
FROM generate_series($1::bigint, $2::bigint) AS g
ON CONFLICT (id) DO NOTHING;
