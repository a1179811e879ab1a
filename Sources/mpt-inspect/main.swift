import MPTCLI

InspectCommand.main()
