# Rewrites `nst --help` into the layout help2man turns into manual sections: its footer's
# headings become sections of their own (*Name* is help2man's mark for one) instead of
# sub-headings of OPTIONS, the presets become tagged paragraphs, and the examples lines of
# code. --help itself stays as it is, for a terminal.

# "-h,--help" as "-h, --help", so that help2man sets both names in bold.
s/^\(  -[[:alnum:]]\),--/\1, --/

# "Presets (note):" -> a PRESETS section; the note becomes its first paragraph.
s/^Presets (\(.*\)):$/*Presets*\n\n\u\1./
s/^Presets:$/*Presets*/
# Each preset "  name: text" with its hanging lines -> a tag and text indented by 20 columns,
# which help2man reads as one tagged paragraph.
/^\*Presets\*/,/^$/{
  s/^  \([[:alnum:]_-]*\): *\(.*\)$/  \1\n                    \2/
  s/^   \+\([^ ]\)/                    \1/
}

s/^Inputs: /*Inputs and outputs*\n\nInputs: /
s/^Outputs: /\nOutputs: /

s/^Exit codes:$/*Exit status*/

# An indented "$ " marks a line of code for help2man: one line each, in a fixed-width font.
/^Examples:$/,/^$/s/^  nst /  $ nst /
