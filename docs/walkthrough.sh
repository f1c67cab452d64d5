#!/usr/bin/env bash
# The README's walk-through, runnable: against a server started with `npm start` and the admin it printed.
#   ADMIN_PASSWORD='<printed password>' bash docs/walkthrough.sh
set -euo pipefail
API=${API:-http://localhost:3000/api/v1}
ADMIN_EMAIL=${ADMIN_EMAIL:-admin@localhost}
json() { node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s)[process.argv[1]]))' "$1"; }
post() { curl -sS -X POST "$API$1" -H 'content-type: application/json' "${@:3}" -d "$2"; }

echo '# 1. log in as the platform admin'
ADMIN=$(post /auth/login "{\"email\":\"$ADMIN_EMAIL\",\"password\":\"$ADMIN_PASSWORD\"}" | json access_token)

echo '# 2. create two tenants: each gets its own database, migrated and seeded, and an owner'
post /tenants '{"slug":"acme","name":"Acme","owner":{"email":"ada@acme.test","password":"acme owner passphrase"}}' -H "authorization: Bearer $ADMIN"; echo
post /tenants '{"slug":"globex","name":"Globex","owner":{"email":"hank@globex.test","password":"globex owner passphrase"}}' -H "authorization: Bearer $ADMIN"; echo

echo '# 3. log in as each owner (tenant in the body, or in an X-Tenant header)'
ACME_LOGIN=$(post /auth/login '{"email":"ada@acme.test","password":"acme owner passphrase","tenant":"acme"}')
ACME=$(echo "$ACME_LOGIN" | json access_token)
GLOBEX=$(post /auth/login '{"email":"hank@globex.test","password":"globex owner passphrase"}' -H 'x-tenant: globex' | json access_token)

echo '# 4. Acme writes a note; Acme sees it'
NOTE=$(post /notes '{"title":"Q3 plan","content":"only for Acme"}' -H "authorization: Bearer $ACME" | json id)
curl -sS "$API/notes" -H "authorization: Bearer $ACME"; echo

echo '# 5. Globex sees none of it: its list is empty, and the note id is a 404 in its database'
curl -sS "$API/notes" -H "authorization: Bearer $GLOBEX"; echo
curl -sS "$API/notes/$NOTE" -H "authorization: Bearer $GLOBEX"; echo

echo '# 6. a token cannot be pointed at another tenant: X-Tenant must match it'
curl -sS "$API/notes" -H "authorization: Bearer $GLOBEX" -H 'x-tenant: acme'; echo

echo '# 7. refresh rotates the pair; the old refresh token then stops working; logout revokes'
REFRESH=$(echo "$ACME_LOGIN" | json refresh_token)
NEW_REFRESH=$(post /auth/refresh "{\"refresh_token\":\"$REFRESH\"}" | json refresh_token)
post /auth/refresh "{\"refresh_token\":\"$REFRESH\"}"; echo
curl -sS -o /dev/null -w 'logout: %{http_code}\n' -X POST "$API/auth/logout" -H 'content-type: application/json' -d "{\"refresh_token\":\"$NEW_REFRESH\"}"

echo '# 8. suspend Globex: its requests get 403 and its pool is closed; reactivate'
curl -sS -X PATCH "$API/tenants/globex" -H "authorization: Bearer $ADMIN" -H 'content-type: application/json' -d '{"status":"suspended"}'; echo
curl -sS "$API/notes" -H "authorization: Bearer $GLOBEX"; echo
curl -sS -o /dev/null -w 'reactivate: %{http_code}\n' -X PATCH "$API/tenants/globex" -H "authorization: Bearer $ADMIN" -H 'content-type: application/json' -d '{"status":"active"}'
