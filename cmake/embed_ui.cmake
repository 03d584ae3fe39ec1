# Writes OUT, a C file with every file under DIR (the panel, src/ui/) as
# byte arrays, raw and gzip-compressed (GZIP: the gzip program, run as
# `gzip -9n` so the bytes do not depend on the time or the file's name),
# each with a strong ETag (the first 32 hex digits of its SHA-256) and a
# content type from its extension, plus the build's hash: the SHA-256 of
# every file's path and hash but the shell's, cut to 16 hex digits, which
# the long-lived files' addresses carry (/ui/<hash>/app.js).
#
# The shell (index.html) names those addresses through the placeholder
# __UI__, replaced here by /ui/<hash>; its own ETag covers the result. A
# file whose gzip form is not smaller is stored raw only (gzip_len 0).
# A file of an unknown extension stops the build: every file the panel
# serves has a type on purpose (nosniff makes a wrong one fatal).
cmake_minimum_required(VERSION 3.18)

file(GLOB_RECURSE files RELATIVE ${DIR} LIST_DIRECTORIES false ${DIR}/*)
list(SORT files)
set(work ${OUT}.d)
file(REMOVE_RECURSE ${work})
file(MAKE_DIRECTORY ${work})

function(ui_content_type path out)
  string(REGEX MATCH "\\.[A-Za-z0-9]+$" ext "${path}")
  string(TOLOWER "${ext}" ext)
  if(ext STREQUAL ".html")
    set(t "text/html; charset=utf-8")
  elseif(ext STREQUAL ".js" OR ext STREQUAL ".mjs")
    set(t "text/javascript; charset=utf-8")
  elseif(ext STREQUAL ".css")
    set(t "text/css; charset=utf-8")
  elseif(ext STREQUAL ".svg")
    set(t "image/svg+xml")
  elseif(ext STREQUAL ".png")
    set(t "image/png")
  elseif(ext STREQUAL ".ico")
    set(t "image/x-icon")
  elseif(ext STREQUAL ".json")
    set(t "application/json")
  elseif(ext STREQUAL ".txt")
    set(t "text/plain; charset=utf-8")
  elseif(ext STREQUAL ".csv")
    set(t "text/csv; charset=utf-8")
  elseif(ext STREQUAL ".woff2")
    set(t "font/woff2")
  else()
    message(FATAL_ERROR "embed_ui: ${path}: no content type for this extension")
  endif()
  set(${out} "${t}" PARENT_SCOPE)
endfunction()

# The build's hash, over every file but the shell.
set(manifest "")
foreach(f ${files})
  if(NOT f STREQUAL "index.html")
    file(SHA256 ${DIR}/${f} h)
    string(APPEND manifest "${f} ${h}\n")
  endif()
endforeach()
string(SHA256 build_hash "${manifest}")
string(SUBSTRING "${build_hash}" 0 16 build_hash)

set(body "")
set(table "")
set(i 0)
foreach(f ${files})
  set(src ${DIR}/${f})
  if(f STREQUAL "index.html")
    file(READ ${src} shell)
    string(REPLACE "__UI__" "/ui/${build_hash}" shell "${shell}")
    set(src ${work}/index.html)
    file(WRITE ${src} "${shell}")
  endif()
  ui_content_type(${f} type)
  file(SHA256 ${src} h)
  string(SUBSTRING "${h}" 0 32 etag)
  execute_process(COMMAND ${GZIP} -9nc ${src} OUTPUT_FILE ${work}/${i}.gz RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "embed_ui: gzip failed on ${f}")
  endif()
  file(SIZE ${src} raw_len)
  file(SIZE ${work}/${i}.gz gz_len)
  file(READ ${src} hex HEX)
  string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," hex "${hex}")
  string(APPEND body "static const unsigned char raw_${i}[] = {${hex} 0x00};\n")
  if(gz_len LESS raw_len)
    file(READ ${work}/${i}.gz hex HEX)
    string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," hex "${hex}")
    string(APPEND body "static const unsigned char gz_${i}[] = {${hex}};\n")
    set(gz "gz_${i}")
  else()
    set(gz "NULL")
    set(gz_len 0)
  endif()
  string(APPEND table "    {\"${f}\", \"${type}\", \"\\\"${etag}\\\"\", \"\\\"${etag}-gz\\\"\", raw_${i}, ${raw_len}, ${gz}, ${gz_len}},\n")
  math(EXPR i "${i} + 1")
endforeach()

if(i EQUAL 0)
  message(FATAL_ERROR "embed_ui: no files under ${DIR}")
endif()
file(WRITE ${OUT}.tmp
  "/* Generated from src/ui/ by cmake/embed_ui.cmake: do not edit. */\n"
  "#include <stddef.h>\n\n#include \"payout/http/panel.h\"\n\n"
  "${body}\n"
  "const struct http_panel_file http_panel_files[] = {\n${table}};\n"
  "const size_t http_panel_files_count = ${i};\n"
  "const char http_panel_build_hash[] = \"${build_hash}\";\n")
file(COPY_FILE ${OUT}.tmp ${OUT} ONLY_IF_DIFFERENT)
file(REMOVE_RECURSE ${work})
