/* go_vectors.h — byte strings produced by HashiCorp memberlist 0.2.2 (Go, Debian
 * golang-github-hashicorp-memberlist-dev) with go-msgpack 0.5.5 and Go 1.19 compress/lzw and
 * crypto/cipher: encode(), makeCompoundMessage, compressPayload, encryptPayload, encryptLocalState.
 * Inputs are listed next to each vector. Keys: key(n)[i] = i*7+1. Big LZW inputs come from
 * lcg(n, mod, base): x = x*1103515245+12345 (uint32, x0 = 12345), byte = base + (x>>16) % mod. */
#ifndef SWIMMIES_CODEC_GO_VECTORS_H
#define SWIMMIES_CODEC_GO_VECTORS_H

/* Each test file uses only some of the vectors. */
#define GO_VECTOR(name) static const char name[] __attribute__((unused))

/* ping{SeqNo:1, Node:"a", SourceAddr:127.0.0.2, SourcePort:7946, SourceNode:"b"} */
GO_VECTOR(GO_PING_CAPTURE) = "0085a44e6f6465a161a55365714e6f01aa536f7572636541646472a47f000002aa536"
                             "f757263654e6f6465a162aa536f"
                             "75726365506f7274cd1f0a";
/* ping{SeqNo:0, Node:""} */
GO_VECTOR(GO_PING_MIN) = "0082a44e6f6465a0a55365714e6f00";
/* ping{SeqNo:4294967295, Node:"node-with-a-rather-long-name-over-31-bytes", SourceAddr:::1,
 * SourcePort:65535, SourceNode:"x"} */
GO_VECTOR(GO_PING_BIG) = "0085a44e6f6465da002a6e6f64652d776974682d612d7261746865722d6c6f6e672d6e616"
                         "d652d6f7665722d33312d62"
                         "79746573a55365714e6fceffffffffaa536f7572636541646472b00000000000000000000"
                         "0000000000001aa536f7572"
                         "63654e6f6465a178aa536f75726365506f7274cdffff";
/* ping{SeqNo:200, Node:"n", SourcePort:128} */
GO_VECTOR(GO_PING_U8) = "0083a44e6f6465a16ea55365714e6fccc8aa536f75726365506f7274cc80";
/* ping{SeqNo:70000, Node:"n", SourceAddr:127.0.0.2} */
GO_VECTOR(GO_PING_U16) = "0083a44e6f6465a16ea55365714e6fce00011170aa536f7572636541646472a47f000002";
/* indirectPingReq{SeqNo:8, Target:127.0.0.1, Port:7946, Node:"a", Nack:true, SourceAddr:127.0.0.2,
 * SourcePort:7946, SourceNode:"b"} */
GO_VECTOR(GO_INDIRECT_CAPTURE) =
    "0188a44e61636bc3a44e6f6465a161a4506f7274cd1f0aa55365714e6f08aa536f7572636541646472a47f000002aa"
    "53"
    "6f757263654e6f6465a162aa536f75726365506f7274cd1f0aa6546172676574a47f000001";
/* indirectPingReq{SeqNo:300, Port:1} (Target nil) */
GO_VECTOR(GO_INDIRECT_NIL) =
    "0185a44e61636bc2a44e6f6465a0a4506f727401a55365714e6fcd012ca6546172676574c0";
/* ackResp{SeqNo:5} (Payload nil) */
GO_VECTOR(GO_ACK_NIL) = "0282a75061796c6f6164c0a55365714e6f05";
/* ackResp{SeqNo:5, Payload:[]byte{}} */
GO_VECTOR(GO_ACK_EMPTY) = "0282a75061796c6f6164a0a55365714e6f05";
/* ackResp{SeqNo:127, Payload: 40 x 0xab} */
GO_VECTOR(GO_ACK_PAYLOAD) = "0282a75061796c6f6164da0028abababababababababababababababababababababab"
                            "ababababababababababababab"
                            "abababababa55365714e6f7f";
/* nackResp{SeqNo:8} */
GO_VECTOR(GO_NACK) = "0b81a55365714e6f08";
/* suspect{Incarnation:1, Node:"a", From:"b"} */
GO_VECTOR(GO_SUSPECT) = "0383a446726f6da162ab496e6361726e6174696f6e01a44e6f6465a161";
/* dead{Incarnation:65536, Node:"c", From:"c"} */
GO_VECTOR(GO_DEAD) = "0583a446726f6da163ab496e6361726e6174696f6ece00010000a44e6f6465a163";
/* alive{Incarnation:1, Node:"c", Addr:127.0.0.3, Port:7946, Meta:ff80, Vsn:1,5,2,2,5,5} */
GO_VECTOR(GO_ALIVE_CAPTURE) = "0486a441646472a47f000003ab496e6361726e6174696f6e01a44d657461a2ff80a4"
                              "4e6f6465a163a4506f7274cd1f0a"
                              "a356736ea6010502020505";
/* alive{Incarnation:256, Node:"gonode", Addr:127.0.0.3, Port:7946, Meta:nil, Vsn:1,5,2,0,0,0} */
GO_VECTOR(GO_ALIVE_NILMETA) = "0486a441646472a47f000003ab496e6361726e6174696f6ecd0100a44d657461c0a4"
                              "4e6f6465a6676f6e6f6465a4506f"
                              "7274cd1f0aa356736ea6010502000000";
/* alive{Incarnation:7, Node:"m", Addr:127.0.0.2, Port:1, Meta:300 x "m", Vsn:1,5,2,2,5,4} */
GO_VECTOR(GO_ALIVE_BIGMETA) = "0486a441646472a47f000002ab496e6361726e6174696f6e07a44d657461da012c6d"
                              "6d6d6d6d6d6d6d6d6d6d6d6d6d6d"
                              "6d6d6d6d6d6d6d6d6d6d6d6d6d6d6d6d6d6d6d6d6d6d6d6d6d6d6d6d6d6d6d6d6d6d"
                              "6d6d6d6d6d6d6d6d6d6d6d6d6d6d"
                              "6d6d6d6d6d6d6d6d6d6d6d6d6d6d6d6d6d6d6d6d6d6d6d6d6d6d6d6d6d6d6d6d6d6d"
                              "6d6d6d6d6d6d6d6d6d6d6d6d6d6d"
                              "6d6d6d6d6d6d6d6d6d6d6d6d6d6d6d6d6d6d6d6d6d6d6d6d6d6d6d6d6d6d6d6d6d6d"
                              "6d6d6d6d6d6d6d6d6d6d6d6d6d6d"
                              "6d6d6d6d6d6d6d6d6d6d6d6d6d6d6d6d6d6d6d6d6d6d6d6d6d6d6d6d6d6d6d6d6d6d"
                              "6d6d6d6d6d6d6d6d6d6d6d6d6d6d"
                              "6d6d6d6d6d6d6d6d6d6d6d6d6d6d6d6d6d6d6d6d6d6d6d6d6d6d6d6d6d6d6d6d6d6d"
                              "6d6d6d6d6d6d6d6d6d6d6d6d6d6d"
                              "6d6d6d6d6d6d6d6d6d6d6d6d6d6d6d6d6d6d6d6d6d6d6d6d6d6d6d6d6d6d6d6d6d6d"
                              "6d6d6d6d6d6d6d6d6d6d6da44e6f"
                              "6465a16da4506f727401a356736ea6010502020504";
/* errResp{Error:"Encryption is configured but remote state is not encrypted"} */
GO_VECTOR(GO_ERR) = "0d81a54572726f72da003a456e6372797074696f6e20697320636f6e6669677572656420627574"
                    "2072656d6f74652073"
                    "74617465206973206e6f7420656e63727970746564";
/* userMsgHeader{UserMsgLen:55} */
GO_VECTOR(GO_USER_HEADER) = "0881aa557365724d73674c656e37";
/* pushPullHeader{Nodes:1, UserStateLen:0, Join:true} */
GO_VECTOR(GO_PP_HEADER) = "0683a44a6f696ec3a54e6f64657301ac5573657253746174654c656e00";
/* pushPullHeader{Nodes:300, UserStateLen:588, Join:false} */
GO_VECTOR(GO_PP_HEADER_BIG) = "0683a44a6f696ec2a54e6f646573cd012cac5573657253746174654c656ecd024c";
/* makeCompoundMessage([ping_capture, suspect]) */
GO_VECTOR(GO_COMPOUND) =
    "0702003b001d0085a44e6f6465a161a55365714e6f01aa536f7572636541646472a47f000002aa536f757263654e6f"
    "64"
    "65a162aa536f75726365506f7274cd1f0a0383a446726f6da162ab496e6361726e6174696f6e01a44e6f6465a161";
/* hasCrc + compound */
GO_VECTOR(GO_CRC_COMPOUND) = "0ca573e4170702003b001d0085a44e6f6465a161a55365714e6f01aa536f757263654"
                             "1646472a47f000002aa536f7572"
                             "63654e6f6465a162aa536f75726365506f7274cd1f0a0383a446726f6da162ab496e6"
                             "361726e6174696f6e01a44e6f64"
                             "65a161";
/* 06 + header{Nodes:2, UserStateLen:17, Join:true} + {gonode 127.0.0.3:7946 inc 1 alive meta nil
 * vsn 1,5,2,2,5,4} + {b 127.0.0.2:7946 inc 300 dead meta ff80 vsn 1,5,2,2,5,5} +
 * "\x02user-state-bytes" */
GO_VECTOR(GO_PUSHPULL_STREAM) =
    "0683a44a6f696ec3a54e6f64657302ac5573657253746174654c656e1187a441646472a47f000003ab496e6361726e"
    "61"
    "74696f6e01a44d657461c0a44e616d65a6676f6e6f6465a4506f7274cd1f0aa5537461746500a356736ea601050202"
    "05"
    "0487a441646472a47f000002ab496e6361726e6174696f6ecd012ca44d657461a2ff80a44e616d65a162a4506f7274"
    "cd"
    "1f0aa5537461746502a356736ea601050202050502757365722d73746174652d6279746573";
/* compressPayload(pushpull_stream) */
GO_VECTOR(GO_PUSHPULL_STREAM_COMPRESSED) =
    "0982a4416c676f00a3427566da00a5000d0c22a5e44d1a37c34a397943a6cc1c01acaacc2923670a9d3074ca3029e3"
    "26"
    "c2215241c8909143ea0f00000356257133268c1c3718d3bc7113805493321781917212a64d19536766322c430aca1b"
    "39"
    "749a7d5050ca22c63200465999e3c654800202041420f031e4c8922705a864e912261d996e9a05606113671851ff00"
    "ed"
    "ec59269498a247932e6d7a31a300a954ad62d58ab5ce44392de6f42dd3424c9e8c730202";
/* 08 + {UserMsgLen:11} + "hello-world" */
GO_VECTOR(GO_USER_STREAM) = "0881aa557365724d73674c656e0b68656c6c6f2d776f726c64";
/* compressPayload(user_stream) */
GO_VECTOR(GO_USER_STREAM_COMPRESSED) =
    "0982a4416c676f00a3427566bf0011045255654e19394de69c6152c6cd023465d8b079d3e2ce1b396cc80404";
/* compressPayload("") */
GO_VECTOR(GO_COMPRESS_EMPTY) = "0982a4416c676f00a3427566a3000302";
/* compressPayload("a") */
GO_VECTOR(GO_COMPRESS_ONE) = "0982a4416c676f00a3427566a400c30404";
/* compressPayload("ab" x 50) */
GO_VECTOR(GO_COMPRESS_ABAB) =
    "0982a4416c676f00a3427566b800c388114870a0c182080f2a4cc870a1c386101f4a8c1810";
/* compressPayload("the quick brown fox jumps over the lazy dog. " x 20) */
GO_VECTOR(GO_COMPRESS_TEXT) = "0982a4416c676f00a3427566da011f00e9a02903224e9d3463d6801023e7cd1d3720"
                              "ccbcc103424d9d3670e6807863a7"
                              "8c1c100209b209a3270f08326fceb80039b0e0c1840b1b3e8c38b1e2c58c1b3b7e0c"
                              "096264c9932957f2348850214387"
                              "102552b4885123478f2c4592348952655497456322a5b9f4a6539d577d520d7a9528"
                              "cca33395da6c9a132a4fb140ad0e"
                              "7d695466d29a4c713eddd9126e55a12dcdd6ddaa36ef57b77da7c6054c50b0d6b478"
                              "bdb6e52bf5e7dfb2741fdfedca76"
                              "6f58c597e76645bb79ad5eb06f4193157dd62e57d38729f7542d377066d2af0d4ffe"
                              "6c79b5edd1ae0b4bf69cba77edc6"
                              "b78347ee8c3ab171c6585b135e7e1a71e5b1c7a30f86ccb9ba6cbfbe91039fde3d36"
                              "6fecd01de316cedcfaece798c773"
                              "87bdbb38faf8d2e7eb26eefc7e40";
/* compressPayload(5000 zero bytes) */
GO_VECTOR(GO_COMPRESS_ZEROS) =
    "0982a4416c676f00a3427566da00730001081c48b0a0c18308132a5cc8b0a1c38710234a9c48b1a2c58b18336adcc8"
    "b1"
    "a3c78f20438a1c49b2a4c9932853aa5cc9b2a5cb973063ca9c49b3a6cd9b3873eadcc9b3a7cf9f40830a1d4ab4a8d1"
    "a3"
    "48932a5dcab4a9d3a750a34a9d4ab5aad5ab58b36addcab5abd7af60c38a1d2b3320";
/* compressPayload(lcg(3000, 256, 0)) */
GO_VECTOR(GO_COMPRESS_RAND) = "0982a4416c676f00a3427566da0fca00b91128a3ea43ab0e5ab49563b5c1c3970970"
                              "f2b0e907e15f8657603a106045ab"
                              "83801546f0ccd121efdb1757b7106489e62e078465482ad562962845847f066c8971"
                              "f18d47be1afd965042a12c011f22"
                              "b30478b1f46596ba36aca8b508e426cd2b70e60e31e144e09c341b5d588049a68e5e"
                              "1e7b8640ad9b64829c1809d51a2c"
                              "9b75a7821a353ad0e872b48d0e02239ee6399ba5001fb46e6876e1fba28f843c69fc"
                              "301cdac7e5902e5a386494dab4a1"
                              "07043ef7f058fb23ae0dbe089152f8995469998462579c698947cd02866b197811d8"
                              "e227539978a228c521a682959a54"
                              "3888d539d64a060e011f0aec60914903bf7515bc3dd30b8e0f2f6b1e2e6dd0b4a093"
                              "af4b63a649e2f7ea9b2846974614"
                              "11b3aedb813270fe6149a4e6d93d65eefcc0413ae428804639de4cd2080e9cf4d1cb"
                              "355b2440cd39e2cc40c40f4a3042"
                              "4c289058830b2edc84f145348ea0e04b160ea802c5065028a2860d299803c73755dc"
                              "a10b3744b431c42ea920708135c0"
                              "d8b3070261c0914d0bc94820c71624f8218c38dac4220b019e8000081d3768f20624"
                              "0c74e3821772d4930012b66011cd"
                              "25e90cc3482c6e4cd38d044488210303149cf2ca0ffa30e08d351338338121cb5c01"
                              "ca11e46ce14b3445d062433588f8"
                              "230d0041c873482c0f0cf2051d65e88282111648f10d22a24c90cd2f42bc734b04b5"
                              "7873c01fc9e4a1cb38a860a1442a"
                              "e8b4804a135074620e266b88938a26cf84c084192a30520d2411dc80c91989ecd2ca"
                              "3c513432412bf570104a0094b002"
                              "0b216cd4a3483d2ae811493df3acf2822132e812481120f430cc191420a2471d9020"
                              "33c6310780e38130700ca049348b"
                              "58f00309f60ce3cd0aef74a14534e6d831411eca0861412e10a852403683c0708c02"
                              "cf14028f19cbb0f30e2b8930a1cf"
                              "2d1f60a0cb30347c630b184ac802880ccde4108a1bdf50420405e1cc630a3bc1d093"
                              "c3100600b389189d8ca3c33461bc"
                              "33cc146b40f384251fb8d3442ff314d0c225fe1013cd26459c408b28c450820d193e"
                              "e012472ec47c30c5220854c28127"
                              "5f0011c23f97e8a141137fc0c188b97ce803c806422853cf368ce4c3022ee6f81184"
                              "3df9fc110039a8d8d00629ec88d2"
                              "8e2e70b443c515eb80825e108934d14416689823092f5cace2c03c10e4614027a5f4"
                              "108f145db890c00e0d3863491b41"
                              "78528f022c90b286055674c28a06040890c21e66f4d2c12583a0624529e528334c12"
                              "0440218c3e7334810205ccc4d000"
                              "2f5d2cc0051e8ff8e181221a1412c803eb98b30a37d0dc110405e950504b22cfe0c2"
                              "14b01108172c60081330073f9850"
                              "812b14e302c4408422fa308f1720c354efc84604aa01052348801d82804633c4108d"
                              "1e840202e81847045a610c7b6860"
                              "1f8088041666b18b425c2306e828872ec0e1032738620c79b8c71a1241053e40c31d"
                              "c750030fe000804430020b236807"
                              "068a208c5d30021b1be0852142408151d08319f7f0c00a16d08e4f2063083c38c711"
                              "ec00842b94610e2bb0470d7ec187"
                              "2010400840b0853b62c1800ff4e017b6f8442106608d3e00e214ffa0852aacd10b1b"
                              "70621c4e20400a74108277e8e000"
                              "1058411a50c1854c80611a6c88063c0e518478c08316c838013752f10a00a4200846"
                              "78431a9a918e4e8c001841a0031c"
                              "3ad08374582114d2600039603107684400004fd844150ee0044614a004c980c41b24"
                              "b10012e4a2008c38871e52708e73"
                              "542018a14085362a8189796c83044c28832310108d599ce00490f0c52c3c110c2dd0"
                              "c30da9f00600c83189356042198f"
                              "e84712a0d00e0bdde20edef0c730e4b0044478630a515805038490816548e209b0c8"
                              "8319eee0846a54a10a6448c53d50"
                              "7186234c01115ff04014cee0820f8c4319c094473170600305e0a0165d300633ce40"
                              "0c7dac620673108500ce908d46dc"
                              "c0076520cb0cc8d18c5618c0136920c4235ce0860d18a1041d508623bc008524b44d"
                              "0d3258003d00c0836a3081083190"
                              "01346c408b6c1c2211b5b8c72aac008b5c204110a8d88426e0710e3790e00c726001"
                              "2484e0043e28411b761880366871"
                              "093814200d9130c228b2e00a34fce001a030431ce4d00345e82316f90005e64e9088"
                              "6b8ce21d7fd8c7371c5082488820"
                              "0a5688c0039ea18a4068231dc8d0861b04e0060d7ce11f41408125fa500536d8a21a"
                              "7c500114a2f18451306305fe5087"
                              "0492718dc9ece212cdd8033ce8b00f45f0c21c15b88602720008b150030c9fc0c411"
                              "64e1072c580005f8b0c21190b188"
                              "26b4620832f0c53c2ca084339c410c4820042318d1016478811264d0c0186c100508"
                              "d861185a60c11478218a6c846306"
                              "2a18c110c4710b1d740201812885290e008a22c8e3173688403f50d18545dc4316cf"
                              "284014b881854a30c012fcc8062f"
                              "ae818e3578c11f1918c137d4e08c07a0011baf98c11afea08b00bca11df1b8c42640"
                              "518c5d10600c40b8842ddc500f1a"
                              "10a207a9b8052458f00b2f64e21a64b8240dfea00a5cb4c10a9b40841f001088514c"
                              "c2111450c407f0b10c73f0221919"
                              "8080315cc4855ac0831b29f001317c918a145822197188470840f08b0ef421018f08"
                              "c301d2c08539402000b670051286"
                              "a8867448e3041618051d34a001256483156e10423464a00f53bca003acd881117eb1"
                              "050ca8f20b11c8043ed8818e6a6c"
                              "6106323000396ea080414ce20d10a3460842c10346e481159b28071bec30046d3c81"
                              "1f2b08440d08c19906286215ddc0"
                              "831bfec007367c83087b504401d241831fc4c113a8e044311a60007b8c600bfde881"
                              "15ba118c0e0c4313dfb046030a11"
                              "0c6e2ce20e0170c11adce1063b8c0211df30c7267aa08b666ce20b42d8873da6500a"
                              "6dd0a301c14842209aa08b1b5862"
                              "133c20c01a0610894b64211262f8412416c18425fc210e2a40033f6ad18146ea600b"
                              "c8f8c2237a610f0ca0c30005e004"
                              "38e8a18156c42301a1f0c12b2c90c36330620fffd885207a008a2d18620942100009"
                              "20e1e81ba0e0123d90871d6a010e"
                              "5610800760d8a5c681c0024c74a005d360822930b00c6080a1087e0047374a61067a"
                              "48031c2348442548f08510600116"
                              "62d0c4083e40072f4ca20ef6800215d6f103397c410f37b0023d52600b255ce1029a"
                              "18821290a08a4234e1052ec00026"
                              "fea184755443161e208627acf18977e4420334184505380101190c021e52c8870de0"
                              "e10d01e4c308f9c843ba4e510d4d"
                              "f08018c2d0452cca018d26b1c31b77a8461b8800016110631890a0873c5c20012694"
                              "35052710042d38c1063080211c54"
                              "6000ada005fc700d201005ac400c18500be57006bb20092cf00da1200599e0064350"
                              "0b1e400d222009989006b7b00498"
                              "c00f1e1001141708dd900f0e500429100bb3700f7210079c500f6f500808c00d0e80"
                              "0794500b33a00157e00d303005be"
                              "a00b02b00a29800151500942400626f0072100096aa00922000c22900681800b6cb0"
                              "00ba6000399004a2e00e4957041a"
                              "600e8bf007fe700e5690050d2006a590029d000b7f80069ac70951e00e07100b3fc0"
                              "0a5ad007c4c07b938008d53007e6"
                              "800e4b500dfc750d97d0074270037d800f66d0012a500751760141a00140f0040f20"
                              "0329000fc7000885200615c00d16"
                              "4005ace0005bb0075e400e76a000dd5001df000f4e900dcb400d9340040b53056630"
                              "08b44102bfb0066e500d78c009f1"
                              "c0091a030a8820078d70006c90072af0077f100a75f007b4100996900ad860028400"
                              "096de00146b004489008e5b00bec"
                              "000f33b009a520043fc00464200893e0055e300334e00d63f007572006fe9002e350"
                              "0d528003ab3000af100667400ef7"
                              "100377800ab3a01f86400f94200e45b00e967004878004b9c00cd83005a650047ab0"
                              "0ca730878270015a2004b4b0084b"
                              "2046c000018c500144f00c8a100ae5800e51b005dad00a64d004b2100e57100d0020"
                              "0f647003c4600fafc001cb520585"
                              "f0099f7003bed002127008f560034d7001958007b2c005648006f050045be00d45e0"
                              "0b49f00773200026e00e83500a38"
                              "200b3dd005392406941006a2000baee00e2c30091a0001deb00a1a2006d7100053d0"
                              "0261900014b00c26700566c00b11"
                              "1002d8206f7970005d100447f00e5cb04ef5a00c2d8004b0d00d84000ea62808f0b0"
                              "0b02700d9b100f8a600d85e0079c"
                              "50020e90035fa0024b300bda5003c850040ad00600e00dc5c00799e00851a00f6010"
                              "0d0777009c900117000a297001dc"
                              "800d83200e76400fd1d005bad008627004b6b0007c100158300ee40008e000092d70"
                              "00072005c1200eec900ab1200ff0"
                              "c7035cc0037a1002e0500b0e400af9f001a12006b9000b77600d63c072a7600cb660"
                              "03b7c0056fa00dec600272f00ebc"
                              "50049650017b8005bd2000649009c0a00f69600b1ce000ba100759400117600f3ea0"
                              "06d6f00fb6a0068a0408abb00515"
                              "a009fd700bbb3802f9e009b3e00467000033e005ea20021b800d56200938500a7740"
                              "04da0009df700786d00772500461"
                              "a006aed000577002bb10080e500d36e0088e0002bd30323ca0038fb003a1000fa320"
                              "0f85700484c0011d80054d200094"
                              "6003388001c82000b9a00ecc8105c4c0008cf0042490079d700ee140019b30091720"
                              "08c3900cd9400464400a96300b29"
                              "b00347c00b2750665c500a56b09fadb00b9b800c330a0cb7f00c8c1006bdc0023f70"
                              "05a8000fc25003ffe0050ce01d80"
                              "d06ccc400f82500242a007aa80025fd00387000742400e07800e6f8005ddb0020240"
                              "0520c093ae300a4f100867200171"
                              "e00474100d7ec00f494009e370072be00b8ae00633b007c3000d21c009f09000e650"
                              "03f2d00fef800f57100c33000540"
                              "c001fbd00314000c74200fe68004f60003a6100f1200060b80015e30073c700700a0"
                              "0741f001fb40002d50033cb003c8"
                              "3806bed0074630053c70040a8007d4c00584b00d2f800d7f700e5b800a03c088fbf0"
                              "04a9f00b685009dac004df800783"
                              "a0045160043c900e1f500f88300a44f00de5000641d00394b004cc50062820073730"
                              "0cd10002a1900966a00fe0600734"
                              "c00d2a7007891007861004fe4009f5a00b88a0065fa0083ec0033f4005dee400b4b0"
                              "041f0007d2e70b21f0094c90069e"
                              "300990d0046c310ba07000cdc001c5a0049eb00b24a0098ae008c770095b000fb5d0"
                              "066c400a0fb00b2c500aec600411"
                              "450f5fb00d7de00b14f00cfaa00e19000be5e00f74e00b731000ece00e96900d2fc0"
                              "0af7610c5360015a900b681003de"
                              "10009a6003e6200b7a800750500efa3009c07006a7000f3b3002a6700184f0047080"
                              "0b3990054d7007ad000992b00784"
                              "30099a500b11a0071e0307c6300b9d200609e00f5cb00e54b00b4ad00af8d10003d0"
                              "0852000add300685f00d5eb00212"
                              "200d373000a7900bc1300d12c00ddd200f7cf0008be01b07d00408300660a0037aa0"
                              "096a100eca7032e3100e3c50064e"
                              "700e9ac002bb500251600228b0636130093568025b100d0380005670035db00ab1c0"
                              "05a9a0058bf00c4e00b8bb40019f"
                              "700dd4600a55b003fd800caba007b9800580f00c5860005df00cde300d3d6004b2b0"
                              "0420f00c0b10084e50031af00c6c"
                              "d008f7a00440f0004e800043900bc61001994303268032844003f7801e96100626e0"
                              "0a0e4005f4a00981900e54800a76"
                              "f00b9c60044d3008c750043f2004cb60116eb00b44800b0101";
/* compressPayload(lcg(3000, 4, 'a')) */
GO_VECTOR(GO_COMPRESS_SMALL4) = "0982a4416c676f00a3427566da03f400c3841133868c188263c484215390ccc087"
                                "061d2a144890e1c2310d0b0e24a850"
                                "a2c283621862d408d26198840245669c7830a1438d2931b21c3310e3428b324392"
                                "3138f2244c8c0c2d42bce833a543a1"
                                "2e0da63cc9f063cb882e659e5c38b169cb8734510ee4c934644daa1a690a041ab4"
                                "e24e9a676f560cd9b1e6599253d752"
                                "d4d951a3508562b7123c8970a1cf8468438aa54b142e48a07f014f8d69126142bc"
                                "7a2516dc6bf326ce829877fab5cab7"
                                "e8da9d92ffbe84baf3a9c18a633f3edcdb74b2e7ad54231e3cbd51a06d8e39418f"
                                "3cb8d5a456d0459b0665da10f7e4dd"
                                "7cbd9665ea17af66bb59b31e36b995e6478bc227833e8a79f66ceb11178fad0ddc"
                                "796f99269f5f74f9d02747a59df95a"
                                "bfa916245eb1c3391e7e8fb0e5def5904535db4b4f4d04d444b579b55e6ec351b5"
                                "9a726ea515596a9a81065251d63d56"
                                "554b887524db572345041f71b7a5f4114c04fa75516947dd14d8595e0588126982"
                                "79e81e5a190a76144bcd5185a0441e"
                                "4d56527bfbe525915a165d985f5d74f1366363e03dd79a7c4675759d8b99754560"
                                "7eddf1a65c8551c128954d578df6d6"
                                "695691d4df7a6992c9668920eaa5d37c3812855474983557205a0402f6986d226e"
                                "f718607372945871c97516e5823a59"
                                "989e744dd9b694488bd9f51d6619490a1971cea1955c5041a1f4945b7fce491b56"
                                "438934278abab1a5136cdc69355b4c"
                                "5e41e7565c69d9eaa49b20faa764496c3567134f158535a69fae81ba196f14bdb5"
                                "6269d6f1a85496b4413b6d7a17f1c6"
                                "d54664f9aaa3866a610a1db1679515ed74acbaaa5db8732174d4b65a25f7147896"
                                "cd882945964a25e9ad73bda4e25e57"
                                "05d691810d75855fa8499295e76342991b1db40e32a7984c831e37d69f5309399e"
                                "6f957db72f5eacb5b7515ac45a4ca6"
                                "66f269a8218c7a8d571d76213a95d5b43661ac6a5f3c6594a692cc7dd6597ed8b9"
                                "cbd3b4fa41ccb2649b669a1b5f2d0e"
                                "0a1fcbedf9166371536feaeec846a1465c58bab9c41a8bb1d127569847665b1c50"
                                "c3360851a991f237d56826360a18b9"
                                "9b364be85bae959a6170331f785a5d4982ecaa7a86463decd98abdb7524d20330e"
                                "1e4940c614eddc7051771ec05aa7f6"
                                "155bf60e1d626124b1073095392d782f9fef5948ede727bfdd1a878d1a472f534a"
                                "0947519ca9b906e8c81e9685a076ef"
                                "6628dc4b7c9227b5506349dd53789e023936a835eedd7b889acdf45ed826da5633"
                                "95706fe9117dad7127698515d23ef5"
                                "6689d7eea0b65895c66d56c9fbb7f7bd3b16df9f64ceef5893b10d7d4f1fc8ef62"
                                "8d54284333e5144b54c8ea985d82d7"
                                "a28d040b3afe899f62b8e325aeb02554fdf3d8d7bce39791f8c97dc5f2117e14b4"
                                "2eed9ce82d5f621a939612a6ab410b"
                                "3582b193a166961e3155066361a10bf4601210";
/* lcg input, see top; compress_big_20000_4 */
#define GO_COMPRESS_BIG_20000_4_LEN 6084
#define GO_COMPRESS_BIG_20000_4_CRC 0xf97818e8u
/* lcg input, see top; compress_big_20000_256 */
#define GO_COMPRESS_BIG_20000_256_LEN 27389
#define GO_COMPRESS_BIG_20000_256_CRC 0x1bde62cbu
/* lcg input, see top; compress_big_200000_4 */
#define GO_COMPRESS_BIG_200000_4_LEN 59604
#define GO_COMPRESS_BIG_200000_4_CRC 0x41277918u
/* lcg input, see top; compress_big_200000_256 */
#define GO_COMPRESS_BIG_200000_256_LEN 273882
#define GO_COMPRESS_BIG_200000_256_CRC 0xfa831fe4u
/* encryptPayload(vsn 0, key(16), GO_ENC_MSG, no AAD) */
GO_VECTOR(GO_UDP_ENC_K16_V0) = "004a2858966381d02472fc487c0d04937f417abf5b21feb605c9e0d328dd3f22056"
                               "286970175a88e8f01e6c8d707e32a"
                               "c09b5a39efd44129b95dcd2eb3";
/* encryptPayload(vsn 1, key(16), GO_ENC_MSG, no AAD) */
GO_VECTOR(GO_UDP_ENC_K16_V1) = "0140c63fc7cf2ab76cc5c95c24d3ea569803fcb950ca245eabc7c36f3c42641d664"
                               "4e3b20155d938c93b299c98f78ff2"
                               "944dacf0c154e600";
/* encryptPayload(vsn 0, key(24), GO_ENC_MSG, no AAD) */
GO_VECTOR(GO_UDP_ENC_K24_V0) = "003c00183bffdc286ecb542c2edcfcb50b706d911d520bc130f0e7658d288c0c0b6"
                               "55c48cf496e7e2b43b039189098f3"
                               "722e50b76728a33948a937ff36";
/* encryptPayload(vsn 1, key(24), GO_ENC_MSG, no AAD) */
GO_VECTOR(GO_UDP_ENC_K24_V1) = "016414fb016af739303caf0b26481799154738c2f1913e43c0faacfa44c17fae976"
                               "3b727f57b8ccfefbaaf5ad9d783a5"
                               "4326f245e87ab604";
/* encryptPayload(vsn 0, key(32), GO_ENC_MSG, no AAD) */
GO_VECTOR(GO_UDP_ENC_K32_V0) = "00e0ae60c541307b94ce524d655407f84778310be9f1d922f6b0c20c9529fb1b041"
                               "522fd6762fb152cef6384503f0573"
                               "c3df595f5a2ec341c57981462e";
/* encryptPayload(vsn 1, key(32), GO_ENC_MSG, no AAD) */
GO_VECTOR(GO_UDP_ENC_K32_V1) = "01437eb26b4543c8cb3b0392ae8234710a48a41cceec05e06a571770a617a729b33"
                               "4f3cc5dc8db52385816a7cdeb7f36"
                               "9896c61fc1a1b925";
/* encryptLocalState(pushpull_stream_compressed), key(32), vsn 1 */
GO_VECTOR(GO_TCP_ENC_PUSHPULL_K32) = "0a000000d101827e6cd0984c8eec001b07a8927a392e550b5d6706278e44e"
                                     "08e4cd725a194bb43dcaa2e1cdf112fe576"
                                     "af010082e1087df07c442468e153f3fef09e4840bb82d7eb820fb9d54888f"
                                     "b27f2987b39e4bae63e5f6fabc375c3ced2"
                                     "9e1c47cf3b13c251c033499d47d78944a41902f88c7067d3dbcbe0e9545f9"
                                     "c96de10776c5f4853a1affe968b7e0d86ed"
                                     "981b33068d0f1d0bf2cf102d18fc1e457850dbfcf5251544af1b8b38ab5d6"
                                     "a1418182ed78e64328900d85733356bcc21"
                                     "4a35811686365df5c61b536a7e76c7229355d63ae65e";
/* encryptLocalState(user_stream_compressed), key(16), ProtocolVersion 1 -> vsn 0 */
GO_VECTOR(GO_TCP_ENC_USER_K16_V0) =
    "0a0000004d00b978a2b4423cf92ff4d7a2b043d4594f8ede8edfefbba3d7df154563425ae106975b0ccb45ee5b016e"
    "e0"
    "b293d74dbe96735f00fbc84af5755ef1d96de93b580d41edea55e229a989ceec61a9";
/* 01 + nonce "fixed-nonce!" + gcm.Seal(key(16), GO_ENC_MSG), no AAD */
GO_VECTOR(GO_GCM_FIXED_K16) = "0166697865642d6e6f6e636521f504631c5c4e13b42832d47b31d6a87568149bcb8d"
                              "2493e48986cdaa7c72d4f7fb71d2"
                              "2a7291f29bb28228";
/* same with AAD 0a00000032 */
GO_VECTOR(GO_GCM_FIXED_K16_AAD) = "0166697865642d6e6f6e636521f504631c5c4e13b42832d47b31d6a87568149b"
                                  "cb8d2493e48986cdb102520d2e30f0b7"
                                  "af218301b8fcb496";
/* plaintext of the udp_enc_* and gcm_fixed_* vectors */
GO_VECTOR(GO_ENC_MSG) = "0c000000000868656c6c6f2d656e637279707465642d776f726c64";

#endif
