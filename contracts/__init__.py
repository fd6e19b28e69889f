"""Contract suite: does a deployment (or the mock) honour its published OpenAPI contract?

    pick spec + target (targets) -> credentials per security scheme (credentials)
          -> Schemathesis generates cases (runner) -> built-in checks + semantic checks
             (semantics, followup, unusual) -> classify: violation | tolerated spec gap (gaps)
          -> report: terminal summary, JUnit, curl reproductions (report, findings, curl)

Layering: `contracts` imports `mockserver` (to run it in-process and to share the spec
loader, the profile and its compiled update plans); `mockserver` never imports `contracts`.
"""
