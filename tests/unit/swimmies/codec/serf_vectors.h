/* serf_vectors.h — bytes sent by a real `serf agent` (Debian serf, "serf version" 0.8.2-dev,
 * memberlist 0.2.2) on loopback to a client built from this codec: the client sent an (encrypted)
 * ping and a push/pull join for node "cap" at 127.0.0.64 / 127.0.0.62:7946 (plaintext / encrypted
 * run), which serf accepted
 * ("EventMemberJoin: cap"), then recorded what serf sent back. serf node "s1" listened on
 * 127.0.0.63:7946 (plaintext) and 127.0.0.61:7946 with -encrypt=SERF_KEY_B64. */
#ifndef SWIMMIES_CODEC_SERF_VECTORS_H
#define SWIMMIES_CODEC_SERF_VECTORS_H

#define SERF_VECTOR(name) static const char name[] __attribute__((unused))

/* key(32) of go_vectors.h */
#define SERF_KEY_B64 "AQgPFh0kKzI5QEdOVVxjanF4f4aNlJuiqbC3vsXM09o="

/* ack to our ping (SeqNo 7): compress(compound[ackResp with serf coordinate, alive s1]) (182 bytes)
 */
SERF_VECTOR(SERF_PLAIN_ACK) =
    "0982a4416c676f00a3427566da00a7000f08006009000f01824e41099387cd9b3064b40110148090aa2064d4d49943"
    "a7"
    "4d193774960118497264a92272e4bc91b3ec07be92234d212993e60c9a903ec8e1ab85681c9a78a3ac9419834924cc"
    "91"
    "468f2685b9b46453924f911e953ab5d49432719cbc3940c010298c64e490fa33f2c7aa246ec68491e3260c9d346fdc"
    "04"
    "20d5a40c9d30a2fe0122a5954c195173629082b2924eb30f0a82ce71632a400101020a140808";
/* push/pull reply to our join: compress(06 header + node s1 + 586 bytes serf user state) (216
 * bytes) */
SERF_VECTOR(SERF_PLAIN_PUSHPULL) = "0982a4416c676f00a3427566da00c9000d0c22a5e44d1a37c34a397943a6cc9"
                                   "c00acaacc2923670a9d3074ca3029e3a6"
                                   "9900258748052143460ea93f0000fc5895c4cd983072dc604cf3c64d00524dc"
                                   "a5c14f50f10292761da94113527062928"
                                   "6fe4d069f64141298b18cb001865658e1b53010a08105040ab215545ec70a4c"
                                   "3844a1aa1014c851d3b879b0000c0e2ca"
                                   "9d4bb7aeddbb78f3eaddcbb7afdfbf80030b1e4cb8b0e1c388132b5eccb8b1e"
                                   "3bfa5ca9e2d1360d546337472b6114371"
                                   "0e245551ea50cc23192d2ba874eacc29ed3010d118000202";
/* gossip: hasCrc + compound[alive cap, alive s1] (132 bytes) */
SERF_VECTOR(SERF_PLAIN_GOSSIP) =
    "0c7e5312610702003d003c0486a441646472a47f000040ab496e6361726e6174696f6e01a44d657461a2ff80a44e6f"
    "64"
    "65a3636170a4506f7274cd1f0aa356736ea60105020205040486a441646472a47f00003fab496e6361726e6174696f"
    "6e"
    "01a44d657461a2ff80a44e6f6465a27331a4506f7274cd1f0aa356736ea6010502020505";
/* probe of us: ping{Node cap, SeqNo 1, Source* of s1}, no CRC (62 bytes) */
SERF_VECTOR(SERF_PLAIN_PROBE) = "0085a44e6f6465a3636170a55365714e6f01aa536f7572636541646472a47f0000"
                                "3faa536f757263654e6f6465a27331"
                                "aa536f75726365506f7274cd1f0a";
/* suspect{Node cap, From s1, Incarnation 1} with hasCrc (37 bytes) */
SERF_VECTOR(SERF_PLAIN_SUSPECT) =
    "0c0cb236280383a446726f6da27331ab496e6361726e6174696f6e01a44e6f6465a3636170";
/* encrypted (vsn 1) ack to our ping (211 bytes) */
SERF_VECTOR(SERF_ENC_ACK) = "01ceb5d992b6fe791fd220b449f5da798e8ca6a6e7bf81f8a2ce5430eef3ca0ae558a8"
                            "9c7ded678471d8ab59915db59f"
                            "fd54520baf22f32b5cf916fbc5bcbefc5b93f75334be4afd7bc444d142b937fe9bfd19"
                            "c2854ab046f6df429484a5a7a5"
                            "3c50494f8697e8711349215a419a67f5f836bb2d6d023ee61b12baf22cfef2ef8ef3f3"
                            "20d65f2cc95e459a6af0372a09"
                            "8114694db7edc86710c0651f0e46d679f72048e99306221aa753b8c571226c16b4cc92"
                            "d623db4227d278def7c25d8053"
                            "9db01aa43c2b4dbaaba626d9ebe3f4de25772f";
/* encrypted push/pull reply: 0a + len + [vsn][nonce][ct][tag], AAD = 5-byte header (250 bytes) */
SERF_VECTOR(SERF_ENC_PUSHPULL) = "0a000000f5011a649848e4a53e5178f1ef64a0a4924b314f6e3457240118c53d8"
                                 "55b54ff6422b01e01d63e45963af0e8"
                                 "b4af636d25cc72e8071f410fb94aa8e168618b19cdd55221ac1ac84cb146ec2e6"
                                 "2582d9349abf760bf270996360ba4a4"
                                 "f86c94a5b0d260a7f815a01706198f6d335a89659ede787050c55f49ecf3727c3"
                                 "3537934a512bc4e9664f75f0c695fab"
                                 "19aa6f0cf775e21357cdc7002529db15c6e2d4b3205247c4515204e7dcc897588"
                                 "22ea1ab5d2b4f9387b65b3c75d33db4"
                                 "69dd6987cb2fbd590d5622d1ef106a9f1de4c125424c60c44b9fd27d4819e7866"
                                 "e450de7f5418a25bd08bf8b2bfc5f04"
                                 "fc09735bc5ca2e396ba2";
/* encrypted gossip: hasCrc + compound[alive cap, alive s1] (161 bytes) */
SERF_VECTOR(SERF_ENC_GOSSIP) = "019995725364f8671f58e921a81866ba97b071aa075550e36347a57a82d00dbd4f5"
                               "219d92f9c9eda52383478956cb7a7"
                               "4172e2d68d2e63de4a532f2a3aadfba4597ec8697f9e362e1ce50931846dd1a6b71"
                               "429398aeadc784f7973fd441bbb6e"
                               "6c1aa05793eccae16b6c2ccbf164e847e9cc89fe38fe31fea3822ec0691d2f2771b"
                               "66c247a1795f60f58a3fc8c5609d7"
                               "5efd71457b631a131f8df9bd4d9b0a118e";
/* encrypted suspect with hasCrc (66 bytes) */
SERF_VECTOR(SERF_ENC_SUSPECT) = "01488133e543ab308cf9293a0e5deca4c4d75effc614abc78db987e5058770f73e"
                                "548328bf97f4eed2539f20cc8de490"
                                "da434a2b4b1858c3a8c287d7d4af9eee999b";

#endif
