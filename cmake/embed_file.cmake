# Writes OUT, a C file defining `const char NAME[]` (NUL-terminated) and
# `const unsigned long NAME_len` with the bytes of IN.
file(READ ${IN} data HEX)
string(LENGTH "${data}" hexlen)
math(EXPR len "${hexlen} / 2")
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," data "${data}")
file(WRITE ${OUT}.tmp "/* Generated from ${IN} by cmake/embed_file.cmake. */\nconst char ${NAME}[] = {${data} 0x00};\nconst unsigned long ${NAME}_len = ${len};\n")
file(COPY_FILE ${OUT}.tmp ${OUT} ONLY_IF_DIFFERENT)
