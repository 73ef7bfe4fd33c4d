/* 5.6+: sk->sk_protocol is a u16 of its own (a bit-field before: no READ_ONCE) */
#include <net/sock.h>
u16 nsk_probe(const struct sock *sk);
u16 nsk_probe(const struct sock *sk) { return READ_ONCE(sk->sk_protocol); }
