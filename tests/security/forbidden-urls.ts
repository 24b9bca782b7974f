/**
 * Every spelling of a metadata or otherwise forbidden address in the team's SSRF test list (cloud metadata
 * endpoints, IPv4 in decimal/hex/octal, IPv4-mapped and NAT64 IPv6, non-HTTP schemes; OWASP SSRF Prevention
 * Cheat Sheet).
 */
export const FORBIDDEN_URLS = [
  'http://169.254.169.254/latest/meta-data/',
  'http://[fd00:ec2::254]/',
  'http://metadata.google.internal/',
  'http://100.100.100.200/',
  'http://[::ffff:169.254.169.254]/',
  'http://[64:ff9b::a9fe:a9fe]/',
  'http://2852039166/',
  'http://0xa9fea9fe/',
  'http://0251.0376.0251.0376/',
  'http://0/',
  'http://[::]/',
  'file:///etc/passwd',
  'gopher://127.0.0.1:70/',
  'data:text/plain,hello',
  'ftp://127.0.0.1/',
  'http://user:pass@127.0.0.1:8080/v1',
  // More spellings of the same addresses that the URL parser folds into them.
  'http://169.254.169.254./',
  'http://169.254.43518/',
  'http://0xa9.0xfe.0xa9.0xfe/',
  'http://[0:0:0:0:0:ffff:169.254.169.254]/',
  'http://[::169.254.169.254]/',
  'http://METADATA.google.internal./computeMetadata/v1/',
  'https://[fe80::1]/',
  'http://0.0.0.0:11434/v1',
  'http://[64:ff9b:1::a9fe:a9fe]/',
  'http://[2002:a9fe:a9fe::1]/',
  'http://224.0.0.1/',
]
