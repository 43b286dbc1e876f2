# wrapgen's ruby probe: runs in place of /var/runtime/index.rb and reports what ruby saw.
require 'json'
IO.new(3).write(JSON.generate({ pid: Process.pid, programName: $PROGRAM_NAME, argv: ARGV, rubyopt: ENV['RUBYOPT'], verbose: $VERBOSE }))
