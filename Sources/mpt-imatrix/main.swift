import MPTCLI

ImatrixCommand.main()
